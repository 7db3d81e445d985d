import type { ReactNode } from 'react'
import { VersionFooter } from '../components/version-footer.tsx'
import './globals.css'

export const metadata = { title: 'SF server' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <main>{children}</main>
        <VersionFooter />
      </body>
    </html>
  )
}
